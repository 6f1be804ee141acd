/*
 * AWS partitions and regions, from the AWS SDK's own table (src/partitions-data.ts,
 * generated). Pure and small, so settings can check a region and a role's partition,
 * and name the STS host, before the SDK itself is loaded.
 */
import { ActionError } from './errors.ts';
import { PARTITIONS } from './partitions-data.ts';

export interface PartitionData {
  id: string;
  dnsSuffix: string;
  dualStackDnsSuffix: string;
  supportsFips: boolean;
  supportsDualStack: boolean;
  regionRegex: string;
  /** Region codes the partition lists by name, without its "-global" pseudo-regions. */
  regions: string[];
}

/** Which STS endpoint variant to use. */
export interface EndpointVariant {
  fips: boolean;
  dualStack: boolean;
}

export const PARTITION_IDS: readonly string[] = PARTITIONS.map((partition) => partition.id);

/** The partition that lists `region` by name; undefined for a code no partition lists. */
export function partitionOfRegion(region: string): PartitionData | undefined {
  return PARTITIONS.find((partition) => partition.regions.includes(region));
}

/** The partition whose region pattern `region` follows (a region newer than our table still follows one). */
function partitionByPattern(region: string): PartitionData | undefined {
  return PARTITIONS.find((partition) => new RegExp(partition.regionRegex).test(region));
}

export function partitionById(id: string): PartitionData | undefined {
  return PARTITIONS.find((partition) => partition.id === id);
}

/**
 * Checks `aws-region` and returns its partition. A region must be one the SDK's table
 * lists: a code that merely follows a partition's pattern (us-east-9) is far more often
 * a typo than a region launched after this release. Only with a custom sts-endpoint,
 * where the STS host does not come from the table, is a code that follows a pattern
 * accepted.
 */
export function resolveRegion(region: string, customEndpoint: boolean): PartitionData {
  const listed = partitionOfRegion(region);
  if (listed) return listed;
  const patterned = partitionByPattern(region);
  if (patterned && customEndpoint) return patterned;
  const nearest = nearestRegions(region);
  const suggestion = nearest.length ? `did you mean ${nearest.join(' or ')}? ` : '';
  const newer = patterned
    ? ` (if ${region} is a region of ${patterned.id} newer than this release, set sts-endpoint to its STS URL)`
    : '';
  throw new ActionError(
    `Input aws-region "${region}" is not an AWS region: ${suggestion}give a region code such as us-east-1 or eu-west-2${newer}`
  );
}

/** Up to three listed region codes closest to `region` by edit distance, if any is close. */
export function nearestRegions(region: string): string[] {
  const all = PARTITIONS.flatMap((partition) => partition.regions);
  const scored = all.map((code) => ({ code, distance: editDistance(region.toLowerCase(), code) }));
  const best = Math.min(...scored.map((entry) => entry.distance));
  if (best > Math.max(2, Math.floor(region.length / 4))) return [];
  return scored
    .filter((entry) => entry.distance === best)
    .map((entry) => entry.code)
    .slice(0, 3);
}

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Refuses a FIPS or dual-stack request the partition cannot serve, naming the input. */
export function checkVariantSupported(partition: PartitionData, region: string, variant: EndpointVariant): void {
  const missing = [
    ...(variant.fips && !partition.supportsFips ? ['FIPS'] : []),
    ...(variant.dualStack && !partition.supportsDualStack ? ['dual-stack'] : [])
  ];
  if (missing.length) {
    throw new ActionError(
      `Partition ${partition.id} (aws-region ${region}) has no ${missing.join(' or ')} STS endpoint: ` +
        'set use-fips-endpoint/use-dualstack-endpoint (and AWS_USE_FIPS_ENDPOINT/AWS_USE_DUALSTACK_ENDPOINT) to false'
    );
  }
}

/**
 * STS's host for a region, as the SDK's STS endpoint rules derive it from the partition
 * (checked against the SDK's resolver in a unit test). GovCloud's regular STS endpoint
 * is already FIPS-validated, so its FIPS host is the regular one.
 */
export function stsHost(region: string, partition: PartitionData, variant: EndpointVariant): string {
  if (variant.fips && variant.dualStack) return `sts-fips.${region}.${partition.dualStackDnsSuffix}`;
  if (variant.dualStack) return `sts.${region}.${partition.dualStackDnsSuffix}`;
  if (variant.fips && partition.id === 'aws-us-gov') return `sts.${region}.amazonaws.com`;
  if (variant.fips) return `sts-fips.${region}.${partition.dnsSuffix}`;
  return `sts.${region}.${partition.dnsSuffix}`;
}

/** A host name of AWS's STS in any partition: regular, FIPS, dual-stack, regional or global. */
export function isAwsStsHost(host: string): boolean {
  const escape = (text: string): string => text.replace(/[.]/g, '\\.');
  return PARTITIONS.some((partition) =>
    [partition.dnsSuffix, partition.dualStackDnsSuffix].some((suffix) =>
      new RegExp(`^sts(-fips)?\\.([a-z0-9-]+\\.)?${escape(suffix)}$`).test(host)
    )
  );
}

/**
 * The audience GitHub's token is requested for by default. AWS documents
 * sts.amazonaws.com.cn for China; for the other partitions (including the ISO and
 * European Sovereign ones, for which we found no separate value documented) STS
 * accepts what the OIDC provider lists, and sts.amazonaws.com is the usual entry.
 */
export function defaultAudience(partition: PartitionData): string {
  return partition.id === 'aws-cn' ? 'sts.amazonaws.com.cn' : 'sts.amazonaws.com';
}
