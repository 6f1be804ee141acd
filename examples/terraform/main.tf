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

variable "issuer_url" {
  type        = string
  default     = "https://token.actions.githubusercontent.com"
  description = "The tokens' issuer (iss): github.com as the default; an enterprise with a unique issuer https://token.actions.githubusercontent.com/SLUG; GHE.com https://token.actions.SUBDOMAIN.ghe.com; GitHub Enterprise Server https://HOSTNAME/_services/token."
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
  description = "false when the account already has a provider for issuer_url."
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
  # IAM names the provider's condition keys after the issuer without https://.
  issuer_key = trimprefix(var.issuer_url, "https://")
  subject = var.environment != "" ? "repo:${var.github_owner}/${var.repository}:environment:${var.environment}" : "repo:${var.github_owner}/${var.repository}:ref:refs/heads/${var.branch}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = var.issuer_url
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1
  url   = var.issuer_url
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
      variable = "${local.issuer_key}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer_key}:sub"
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
