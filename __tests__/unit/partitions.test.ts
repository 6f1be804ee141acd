import { partition as sdkPartition } from '@aws-sdk/core/client';
import { STSClient } from '@aws-sdk/client-sts';
import { partitionsFromSdk } from '../../tools/update-partitions.ts';
import { PARTITIONS } from '../../src/partitions-data.ts';
import {
  checkVariantSupported,
  defaultAudience,
  editDistance,
  isAwsStsHost,
  nearestRegions,
  resolveRegion,
  stsHost,
  type PartitionData
} from '../../src/partitions.ts';

const VARIANTS = [
  { fips: false, dualStack: false },
  { fips: true, dualStack: false },
  { fips: false, dualStack: true },
  { fips: true, dualStack: true }
];
const allRegions = PARTITIONS.flatMap((partition) => partition.regions.map((region) => ({ region, partition })));

describe('the partition table', () => {
  it('is the SDK table of the installed @aws-sdk/client-sts (else: node tools/update-partitions.ts)', () => {
    expect(PARTITIONS).toEqual(partitionsFromSdk());
  });

  it('has every partition AWS runs, each with regions', () => {
    expect(PARTITIONS.map((partition) => partition.id).sort()).toEqual(
      ['aws', 'aws-cn', 'aws-eusc', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f', 'aws-us-gov'].sort()
    );
    for (const partition of PARTITIONS) expect(partition.regions.length).toBeGreaterThan(0);
  });

  it("puts every listed region in the partition the SDK's own lookup names", () => {
    for (const { region, partition } of allRegions)
      expect([region, sdkPartition(region).name]).toEqual([region, partition.id]);
  });
});

describe('resolveRegion', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-northwest-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
    ['us-iso-east-1', 'aws-iso'],
    ['us-isob-east-1', 'aws-iso-b'],
    ['eusc-de-east-1', 'aws-eusc']
  ])('%s is in %s', (region, id) => {
    expect(resolveRegion(region, false).id).toBe(id);
  });

  it('refuses a code that follows the aws pattern but is no region, naming the nearest ones', () => {
    expect(() => resolveRegion('us-east-9', false)).toThrow(
      'Input aws-region "us-east-9" is not an AWS region: did you mean us-east-1 or us-east-2? give a region ' +
        'code such as us-east-1 or eu-west-2 (if us-east-9 is a region of aws newer than this release, set ' +
        'sts-endpoint to its STS URL)'
    );
  });

  it('accepts such a code with a custom sts-endpoint, in the partition its pattern names', () => {
    expect(resolveRegion('us-east-9', true).id).toBe('aws');
    expect(resolveRegion('us-iso-west-9', true).id).toBe('aws-iso');
  });

  it('suggests the region a typo was meant to be, and nothing for a code far from any', () => {
    expect(nearestRegions('eu-wset-2')).toEqual(['eu-west-2']);
    expect(() => resolveRegion('frankfurt', false)).toThrow(
      'Input aws-region "frankfurt" is not an AWS region: give a region code such as us-east-1 or eu-west-2'
    );
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('refuses the SDK-internal aws-global pseudo-region', () => {
    expect(() => resolveRegion('aws-global', false)).toThrow(/not an AWS region/);
  });
});

describe('stsHost', () => {
  it("names the host the SDK's STS endpoint resolver picks, for every listed region and variant", () => {
    const client = new STSClient({ region: 'us-east-1' });
    for (const { region, partition } of allRegions) {
      for (const variant of VARIANTS) {
        const sdk = client.config.endpointProvider({
          Region: region,
          UseFIPS: variant.fips,
          UseDualStack: variant.dualStack,
          UseGlobalEndpoint: false
        });
        expect([region, variant, stsHost(region, partition, variant)]).toEqual([region, variant, sdk.url.hostname]);
      }
    }
    client.destroy();
  });

  it('recognises every host it names as AWS STS, and no other', () => {
    for (const { region, partition } of allRegions) {
      for (const variant of VARIANTS)
        expect([stsHost(region, partition, variant), isAwsStsHost(stsHost(region, partition, variant))]).toEqual([
          stsHost(region, partition, variant),
          true
        ]);
    }
    expect(isAwsStsHost('sts.amazonaws.com')).toBe(true);
    expect(isAwsStsHost('sts.example.com')).toBe(false);
    expect(isAwsStsHost('sts.eu-west-2.amazonaws.com.evil.example')).toBe(false);
  });

  it('gives the ISO, sovereign and FIPS hosts', () => {
    const host = (region: string, fips = false, dualStack = false) =>
      stsHost(region, resolveRegion(region, false), { fips, dualStack });
    expect(host('us-iso-east-1')).toBe('sts.us-iso-east-1.c2s.ic.gov');
    expect(host('eusc-de-east-1')).toBe('sts.eusc-de-east-1.amazonaws.eu');
    expect(host('us-east-1', true)).toBe('sts-fips.us-east-1.amazonaws.com');
    expect(host('eu-west-2', false, true)).toBe('sts.eu-west-2.api.aws');
  });
});

describe('checkVariantSupported and defaultAudience', () => {
  const withoutFips: PartitionData = { ...PARTITIONS[0]!, id: 'aws-test', supportsFips: false };

  it('refuses FIPS where the partition has none, naming the inputs', () => {
    expect(() => checkVariantSupported(withoutFips, 'us-east-1', { fips: true, dualStack: false })).toThrow(
      'Partition aws-test (aws-region us-east-1) has no FIPS STS endpoint: set ' +
        'use-fips-endpoint/use-dualstack-endpoint (and AWS_USE_FIPS_ENDPOINT/AWS_USE_DUALSTACK_ENDPOINT) to false'
    );
    expect(() => checkVariantSupported(withoutFips, 'us-east-1', { fips: false, dualStack: true })).not.toThrow();
  });

  it('asks for sts.amazonaws.com.cn in China and sts.amazonaws.com elsewhere', () => {
    expect(defaultAudience(resolveRegion('cn-north-1', false))).toBe('sts.amazonaws.com.cn');
    expect(defaultAudience(resolveRegion('us-iso-east-1', false))).toBe('sts.amazonaws.com');
    expect(defaultAudience(resolveRegion('eu-west-2', false))).toBe('sts.amazonaws.com');
  });
});
