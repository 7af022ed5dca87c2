// The phone-number metadata `phone_number` is validated with (docs/api.md §3.2): libphonenumber-js's `max`
// metadata without the formatting rules (tools/phone-metadata.mjs), the generated static asset
// public/data/phone-metadata.json. It is not part of the Worker's script: the first phone number validated in
// an isolate reads it through the ASSETS binding (./assets.ts) and keeps it, so the upload is 30 KiB smaller
// (docs/benchmarks.md §7; startup did not measurably change).
import type { MetadataJson } from 'libphonenumber-js/core';
import { dataAsset } from './assets';

/** The asset's path under public/. */
export const PHONE_METADATA_ASSET = '/data/phone-metadata.json';

/**
 * The metadata, read through `assets` on first use in the isolate (./assets.ts `dataAsset`); a failed or
 * foreign read throws and keeps nothing.
 */
export const phoneMetadata = dataAsset(PHONE_METADATA_ASSET, async (response): Promise<MetadataJson> => {
  const metadata = (await response.json()) as { version?: unknown; countries?: unknown };
  if (metadata.version !== 4 || typeof metadata.countries !== 'object' || metadata.countries === null) {
    throw new Error(`phone metadata: ${PHONE_METADATA_ASSET} is not libphonenumber-js version 4 metadata`);
  }
  return metadata as unknown as MetadataJson;
});
