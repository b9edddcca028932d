// Which kind, kubectl, helm and istioctl the steps run. TOOLS picks:
//   (unset)  the one on PATH when its version is supported and not newer than anything
//            tried (lib/support.ts), else the default release, fetched once into .cache/bin/
//   path     the one on PATH, whatever it is
//   pinned   always the default release from .cache/bin/
// A fetched release is checked against the checksum its project publishes beside it before
// it is unpacked; nothing unverified is left behind, and a half-fetched file is never kept.
// The chosen folders go first on the step's PATH, so every command still reads `kubectl ...`.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, delimiter, dirname, isAbsolute, join, relative } from 'node:path'
import { tools, type FetchedTool } from './defaults.ts'
import { checkUrl, download, fetchText, isSha256 } from './download.ts'
import { fail, WorkbookError } from './errors.ts'
import { note } from './output.ts'
import type { Shell, Tag } from './run.ts'
import { judge, usable, type Judgement } from './support.ts'
import { findOnPath, installHints, isExecutable } from './tools.ts'
import { extractFromTarGz } from './untar.ts'
import { parseVersion, requireVersion, type Version } from './versions.ts'

export const fetchedTools: readonly FetchedTool[] = ['kind', 'kubectl', 'helm', 'istioctl']
export const isFetchedTool = (tool: string): tool is FetchedTool => (fetchedTools as readonly string[]).includes(tool)

export type ToolsMode = 'auto' | 'path' | 'pinned'

export function toolsMode(env: NodeJS.ProcessEnv = process.env): ToolsMode {
  const value = (env.TOOLS ?? '').trim() || 'auto'
  if (value !== 'auto' && value !== 'path' && value !== 'pinned') {
    fail(`TOOLS=${value} is not a choice the workbook knows`, 'leave TOOLS unset (a supported tool on PATH, else the pinned release), or set TOOLS=path (yours, whatever they are) or TOOLS=pinned (always the pinned releases)')
  }
  return value
}

export interface Platform {
  os: 'linux' | 'darwin'
  arch: 'amd64' | 'arm64'
}

// The platforms every one of the four projects publishes builds for.
export function currentPlatform(os: string = process.platform, arch: string = process.arch): Platform {
  const goOs = os === 'linux' || os === 'darwin' ? os : undefined
  const goArch = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined
  if (!goOs || !goArch) {
    fail(`the workbook fetches its tools for Linux and macOS on amd64 or arm64 only, not ${os}/${arch}`,
      'install kind, kubectl, helm and istioctl yourself (make doctor says which releases) and run with TOOLS=path')
  }
  return { os: goOs, arch: goArch }
}

// Where each project publishes its releases. The variable moves one to a mirror (or a
// folder, as a file:// URL) that keeps the same layout, checksum files included.
export const releaseSites: Record<FetchedTool, { env: string; url: string; project: string }> = {
  kind: { env: 'KIND_DOWNLOAD_URL', url: 'https://github.com/kubernetes-sigs/kind/releases/download', project: 'kind' },
  kubectl: { env: 'KUBECTL_DOWNLOAD_URL', url: 'https://dl.k8s.io/release', project: 'Kubernetes' },
  helm: { env: 'HELM_DOWNLOAD_URL', url: 'https://get.helm.sh', project: 'Helm' },
  istioctl: { env: 'ISTIO_DOWNLOAD_URL', url: 'https://github.com/istio/istio/releases/download', project: 'Istio' },
}

export interface ReleaseFile {
  url: string           // the binary, or the archive that holds it
  checksumUrl: string   // published beside it; its first word is the file's sha256
  member?: string       // the binary's path inside a .tar.gz
}

// Each project's own layout: kind's binaries with a .sha256sum beside each
// (kubernetes-sigs/kind hack/release/build/cross.sh); kubectl with a .sha256 (dl.k8s.io);
// Helm's archives holding <os>-<arch>/helm, with a .sha256sum (helm/helm Makefile,
// `checksum`; scripts/get-helm-4); istioctl's archives holding istioctl, "osx" for macOS,
// with a .sha256 (istio/istio release/downloadIstioCtl.sh).
export function releaseFile(tool: FetchedTool, version: string, platform: Platform, env: NodeJS.ProcessEnv = process.env): ReleaseFile {
  const site = releaseSites[tool]
  const given = env[site.env]
  if (given) checkUrl(given, site.env)
  const base = (given || site.url).replace(/\/+$/, '')
  const { os, arch } = platform
  switch (tool) {
    case 'kind': {
      const url = `${base}/v${version}/kind-${os}-${arch}`
      return { url, checksumUrl: `${url}.sha256sum` }
    }
    case 'kubectl': {
      const url = `${base}/v${version}/bin/${os}/${arch}/kubectl`
      return { url, checksumUrl: `${url}.sha256` }
    }
    case 'helm': {
      const url = `${base}/helm-v${version}-${os}-${arch}.tar.gz`
      return { url, checksumUrl: `${url}.sha256sum`, member: `${os}-${arch}/helm` }
    }
    case 'istioctl': {
      const url = `${base}/${version}/istioctl-${version}-${os === 'darwin' ? 'osx' : 'linux'}-${arch}.tar.gz`
      return { url, checksumUrl: `${url}.sha256`, member: 'istioctl' }
    }
  }
}

// .cache/bin/<tool>-<version>-<os>-<arch>/<tool>: one folder per release and platform.
export function pinnedBinary(cacheDir: string, tool: FetchedTool, platform: Platform, version: string = tools[tool].release): string {
  return join(cacheDir, `${tool}-${version}-${platform.os}-${platform.arch}`, tool)
}

// A path as the user would look for it: relative inside the working folder, else absolute.
export function shownPath(path: string): string {
  const inside = relative(process.cwd(), path)
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path
}


// The published checksum file's first word, which must be a sha256.
export function parseChecksumFile(text: string, url: string): string {
  const digest = text.trim().split(/\s+/)[0] ?? ''
  if (!isSha256(digest)) fail(`${url} does not start with a sha256 (it says "${text.trim().slice(0, 60)}")`, 'check the download site; a mirror must serve the checksum files beside the releases')
  return digest.toLowerCase()
}

// The pinned release of a tool, fetched into the cache if it is not there yet.
export async function fetchPinned(tool: FetchedTool, options: { cacheDir: string; platform: Platform; env?: NodeJS.ProcessEnv }): Promise<{ binary: string; fetched: boolean }> {
  const { cacheDir, platform } = options
  const release = tools[tool].release
  const binary = pinnedBinary(cacheDir, tool, platform)
  if (isExecutable(binary)) return { binary, fetched: false }
  const file = releaseFile(tool, release, platform, options.env)
  const site = releaseSites[tool]
  const sha256 = parseChecksumFile(await fetchText(file.checksumUrl, site.env), file.checksumUrl)
  mkdirSync(cacheDir, { recursive: true })
  // Everything happens in a hidden folder beside the cache entry, renamed into place only
  // once the download matched its checksum and the binary is out: all or nothing.
  const work = mkdtempSync(join(cacheDir, `.${basename(dirname(binary))}.`))
  try {
    const downloaded = join(work, basename(new URL(file.url).pathname))
    await download({
      url: file.url,
      sha256,
      to: downloaded,
      expected: 'published',
      shownAs: shownPath(dirname(binary)),
      fix: `nothing was installed or run; ${site.project} publishes that checksum beside the file (${basename(file.checksumUrl)}): try again (a download cut short or changed on the way looks like this)${options.env?.[site.env] ? `, and check the mirror ${site.env} names` : ''}, or install ${tool} ${release} yourself and run with TOOLS=path`,
    })
    const staged = join(work, 'staged')
    mkdirSync(staged)
    if (file.member) {
      let content: Buffer
      try {
        content = extractFromTarGz(readFileSync(downloaded), file.member)
      } catch (error) {
        return fail(`${file.url} matched its checksum but cannot be unpacked: ${(error as Error).message}`, 'report it; meanwhile install it yourself and run with TOOLS=path')
      }
      writeFileSync(join(staged, tool), content, { mode: 0o755 })
    } else {
      renameSync(downloaded, join(staged, tool))
      chmodSync(join(staged, tool), 0o755)
    }
    // A folder without its binary is a leftover of something else: it is ours to replace.
    if (existsSync(dirname(binary)) && !isExecutable(binary)) rmSync(dirname(binary), { recursive: true, force: true })
    try {
      renameSync(staged, dirname(binary))
    } catch (error) {
      // Another run put it there meanwhile.
      if (!isExecutable(binary)) throw error
    }
    return { binary, fetched: true }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

// What a tool says its version is (no network, no cluster). The binary found on PATH is
// asked by its path, so the answer is that binary's.
const versionCommands: Record<FetchedTool, (sh: Tag, binary: string) => Promise<{ stdout: string; exitCode: number }>> = {
  kind: (sh, binary) => sh`${binary} version`,
  kubectl: (sh, binary) => sh`${binary} version --client -o json`,
  helm: (sh, binary) => sh`${binary} version --short`,
  istioctl: (sh, binary) => sh`${binary} version --remote=false --short`,
}

export function readToolVersion(tool: FetchedTool, stdout: string): Version | undefined {
  if (tool !== 'kubectl') return parseVersion(stdout)
  try {
    return parseVersion(String(JSON.parse(stdout).clientVersion?.gitVersion ?? ''))
  } catch {
    return undefined
  }
}

export interface ToolChoice {
  tool: FetchedTool
  mode: ToolsMode
  binary?: string             // what the steps run (undefined: nothing to run)
  pinned: boolean             // the fetched default release, not the one on PATH
  fetched: boolean            // fetched just now
  version?: Version           // the version of what the steps run, when known
  onPath?: string             // the tool found first on PATH
  pathAnswer?: string         // what it said when asked its version
  judgement?: Judgement       // of the one on PATH
  problem?: WorkbookError     // why there is nothing to run
}

export interface ChooseOptions {
  mode: ToolsMode
  $: Shell
  cacheDir: string
  anyKubectl?: boolean        // kubectl's range does not apply (clusters of your own)
  env?: NodeJS.ProcessEnv
}

async function choose(tool: FetchedTool, options: ChooseOptions): Promise<ToolChoice> {
  const env = options.env ?? process.env
  const choice: ToolChoice = { tool, mode: options.mode, pinned: false, fetched: false, onPath: options.mode === 'pinned' ? undefined : findOnPath(tool, env) }
  if (choice.onPath) {
    const asked = await versionCommands[tool](options.$({ nothrow: true, quiet: true, timeout: '5s' }), choice.onPath)
    choice.pathAnswer = asked.exitCode === 0 ? asked.stdout : undefined
    const version = asked.exitCode === 0 ? readToolVersion(tool, asked.stdout) : undefined
    if (version) {
      choice.version = version
      choice.judgement = judge(tool, version, { anyKubectl: options.anyKubectl })
    }
  }
  if (options.mode === 'path' || (choice.onPath && (!choice.judgement || usable(choice.judgement)))) {
    // A tool that does not tell its version cannot be judged: it is used as it is.
    if (!choice.onPath) choice.problem = new WorkbookError(`${tool} is not on PATH, and TOOLS=path runs only what is there`, `${installHints[tool]}; or leave TOOLS unset, and the steps fetch ${tool} ${tools[tool].release} themselves`)
    else choice.binary = choice.onPath
    return choice
  }
  try {
    const platform = currentPlatform()
    const why = options.mode === 'pinned' ? 'TOOLS=pinned'
      : !choice.onPath ? `${tool} is not on PATH`
      : `${tool} on PATH: ${choice.judgement!.text}`
    const cached = pinnedBinary(options.cacheDir, tool, platform)
    if (!isExecutable(cached)) note(undefined, `${why}: fetching ${tool} ${tools[tool].release} for ${platform.os}/${platform.arch} into ${shownPath(dirname(cached))} (once)`)
    const { binary, fetched } = await fetchPinned(tool, { cacheDir: options.cacheDir, platform, env })
    Object.assign(choice, { binary, fetched, pinned: true, version: requireVersion(tools[tool].release) })
  } catch (error) {
    if (!(error instanceof WorkbookError)) throw error
    const site = releaseSites[tool]
    // The fetch's own fix, then the ways around it: a mirror, or a tool of your own.
    choice.problem = new WorkbookError(error.message,
      `${error.fix ? `${error.fix}; ` : ''}behind a mirror of ${site.project}'s releases, name it with ${site.env}; or ${installHints[tool]} and run with TOOLS=path`)
  }
  return choice
}

// One choice per tool, asked and fetched side by side; every problem is kept for the caller.
export async function chooseTools(wanted: readonly FetchedTool[], options: ChooseOptions): Promise<Map<FetchedTool, ToolChoice>> {
  const choices = await Promise.all(wanted.map((tool) => choose(tool, options)))
  return new Map(choices.map((choice) => [choice.tool, choice]))
}

// The pinned folders first on PATH, for this process and the commands it starts.
export function putOnPath(choices: Iterable<ToolChoice>, env: NodeJS.ProcessEnv = process.env): void {
  const folders = [...choices].filter((c) => c.pinned && c.binary).map((c) => dirname(c.binary!))
  const rest = (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '' && !folders.includes(dir))
  env.PATH = [...folders, ...rest].join(delimiter)
}
