# GitHub's OIDC provider and an IAM role that one repository's workflows can assume
# with OWNER/REPO (oidc-aws-credentials), from one branch or one environment.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "github_owner" {
  type        = string
  description = "Organisation or user that owns the repository (case-sensitive, as in the token's sub)."
}

variable "repository" {
  type        = string
  description = "Repository name (case-sensitive)."
}

variable "branch" {
  type        = string
  default     = "main"
  description = "Branch whose workflows may assume the role (used when environment is empty)."
}

variable "environment" {
  type        = string
  default     = ""
  description = "GitHub environment whose jobs may assume the role; when set, branch is not used."
}

variable "create_oidc_provider" {
  type        = bool
  default     = true
  description = "false when the account already has the provider for https://token.actions.githubusercontent.com."
}

variable "role_name" {
  type    = string
  default = "github-actions"
}

variable "max_session_duration" {
  type    = number
  default = 3600
}

locals {
  subject = var.environment != "" ? "repo:${var.github_owner}/${var.repository}:environment:${var.environment}" : "repo:${var.github_owner}/${var.repository}:ref:refs/heads/${var.branch}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = "https://token.actions.githubusercontent.com"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [local.subject]
    }
  }
}

resource "aws_iam_role" "github" {
  name                 = var.role_name
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_duration
  # Attach only what the workflow needs, e.g. aws_iam_role_policy_attachment.
}

output "role_arn" {
  description = "Use as role-to-assume."
  value       = aws_iam_role.github.arn
}
