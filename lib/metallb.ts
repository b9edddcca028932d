// MetalLB's manifest for step 01: the release pinned in lib/defaults.ts, or the one
// METALLB_MANIFEST_URL and METALLB_MANIFEST_SHA256 name together (another release, a
// mirror, a copy on disk). It is fetched and checked before any cluster is made, and both
// clusters apply that checked copy, never the URL itself.
import { join, relative } from 'node:path'
import { paths, versions } from './defaults.ts'
import { checkUrl, download, isSha256 } from './download.ts'
import { fail } from './errors.ts'
import { note } from './output.ts'
import { root, type Workbook } from './step.ts'

export interface ManifestSource {
  url: string
  sha256: string
  pinned: boolean   // the release of lib/defaults.ts, not an override
}

export function metallbManifestSource(env: NodeJS.ProcessEnv = process.env): ManifestSource {
  const url = env.METALLB_MANIFEST_URL ?? ''
  const sha256 = env.METALLB_MANIFEST_SHA256 ?? ''
  if (url === '' && sha256 === '') return { url: versions.metallb.manifest, sha256: versions.metallb.sha256, pinned: true }
  if (url === '' || sha256 === '') {
    const [given, missing] = url === '' ? ['METALLB_MANIFEST_SHA256', 'METALLB_MANIFEST_URL'] : ['METALLB_MANIFEST_URL', 'METALLB_MANIFEST_SHA256']
    fail(`${given} is set without ${missing}`, `set both (the manifest, and the sha256 it must have), or neither for MetalLB ${versions.metallb.release}`)
  }
  checkUrl(url, 'METALLB_MANIFEST_URL')
  if (!isSha256(sha256)) fail(`METALLB_MANIFEST_SHA256 "${sha256}" is not a sha256 digest`, 'give its 64 hex digits, as `sha256sum metallb-native.yaml` prints them')
  return { url, sha256: sha256.toLowerCase(), pinned: false }
}

// The checked copy, under out/rendered/01-clusters/ (a dry run names it and fetches nothing).
export async function fetchMetallbManifest(wb: Workbook): Promise<string> {
  const source = metallbManifestSource()
  const file = join(root, wb.dryRun ? paths.dryRun : paths.rendered, wb.id, 'metallb-native.yaml')
  const shown = relative(process.cwd(), file) || file
  if (wb.dryRun) {
    note(undefined, `dry run: ${source.url} is not fetched; a real run keeps it as ${shown} if its sha256 is ${source.sha256}`)
    return shown
  }
  await download({
    url: source.url,
    sha256: source.sha256,
    to: file,
    fix: source.pinned
      ? `nothing was applied; the file at the pinned URL is not the one lib/defaults.ts pins for MetalLB ${versions.metallb.release}: report it, or pin a manifest you trust with METALLB_MANIFEST_URL and METALLB_MANIFEST_SHA256`
      : 'nothing was applied; METALLB_MANIFEST_SHA256 must be the sha256 of the file at METALLB_MANIFEST_URL: check both',
  })
  return shown
}
