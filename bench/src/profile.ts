/**
 * Where a V8 CPU profile (node --cpu-prof) spends its time: self time by area (Quire's own
 * modules, each dependency, Node internals, GC) and the hottest functions.
 * Also runnable alone: node dist/profile.js FILE.cpuprofile
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function area(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native/V8)'
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (pkg) return pkg[1]!
  const ours = /packages\/([^/]+)\/(?:dist|src)\/(.+?)\.js$/.exec(url)
  if (ours) return `quire ${ours[1]}/${ours[2]}`
  if (url.startsWith('node:')) return 'node internals'
  return url
}

export function summarizeProfile(file: string, top = 15): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const areas = new Map<string, number>()
  const functions = new Map<string, number>()
  let busy = 0
  for (const [id, micros] of self) {
    const node = byId.get(id)
    if (!node) continue
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') continue
    busy += micros
    const a = area(url, functionName)
    areas.set(a, (areas.get(a) ?? 0) + micros)
    const key = `${functionName || '(anonymous)'} [${a}${url ? `:${lineNumber + 1}` : ''}]`
    functions.set(key, (functions.get(key) ?? 0) + micros)
  }
  const pct = (v: number) => `${((v / busy) * 100).toFixed(1).padStart(5)}%`
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${pct(v)}  ${k}`)
      .join('\n')
  return [`busy ${(busy / 1e6).toFixed(2)} s of CPU; self time by area:`, list(areas), 'hottest functions (self time):', list(functions)].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) process.stdout.write(`${file}\n${summarizeProfile(file)}\n`)
}
