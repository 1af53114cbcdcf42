/**
 * AP10: `quire ls`, `export`, `import` and `rm` as operators run them (the built bin, in its own
 * process), against a running server and on a data folder no server holds; every error exits
 * non-zero with a sentence naming the problem, and changes nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { connect, runCli, type ServerProcess, startServer, tempDataDir, waitFor } from '@quire/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { signToken } from '../src/auth/token.js'

const SECRET = 'cli-test-secret-0123456789abcdef'
const ADMIN = 'cli-test-admin-token-0123456789'
// The caller's environment must not leak a server or token into these runs.
const CLEAN = { QUIRE_URL: '', QUIRE_TOKEN: '' }

describe('AP10: document commands', () => {
  let server: ServerProcess
  let files: string
  let write: string

  beforeAll(async () => {
    server = await startServer({ args: ['--auth-secret', SECRET, '--admin-token', ADMIN] })
    files = tempDataDir()
    write = await signToken(SECRET, { doc: 'notes/*', access: 'write', expiresInSeconds: 600, user: 'Ada' })
  }, 60_000)

  afterAll(async () => {
    await server?.kill('SIGTERM')
  })

  it('AP10: against a running server: import is live for connected editors, export in every format, ls and rm with an admin token', async () => {
    const env = { ...CLEAN, QUIRE_URL: server.httpUrl, QUIRE_TOKEN: write }
    const editor = connect(server.wsUrl, 'notes/plan', { params: { token: write } })
    await editor.synced()
    const input = join(files, 'plan.md')
    writeFileSync(input, '# Plan\n\n- first\n')
    const imported = await runCli(['import', 'notes/plan', input], env)
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stderr).toContain('imported: notes/plan')
    await waitFor(() => editor.text.toString() === '# Plan\n\n- first\n', 'the editor to see the import live')

    const text = await runCli(['export', 'notes/plan'], env)
    expect(text.code).toBe(0)
    expect(text.stdout).toBe('# Plan\n\n- first\n')
    const md = join(files, 'out.md')
    expect((await runCli(['export', 'notes/plan', '--format', 'md', '-o', md], env)).code).toBe(0)
    expect(readFileSync(md, 'utf8')).toBe('# Plan\n\n- first\n')
    const yjs = join(files, 'plan.yjs')
    expect((await runCli(['export', 'notes/plan', '--format', 'yjs', '-o', yjs], env)).code).toBe(0)
    const doc = new Y.Doc()
    Y.applyUpdate(doc, readFileSync(yjs))
    expect(doc.getText('codemirror').toString()).toBe('# Plan\n\n- first\n')
    // A Yjs file (by its extension) imports as an update, into another document.
    expect((await runCli(['import', 'notes/copy', yjs], env)).code).toBe(0)
    expect((await runCli(['export', 'notes/copy'], env)).stdout).toBe('# Plan\n\n- first\n')

    const admin = { ...env, QUIRE_TOKEN: ADMIN }
    const listed = await runCli(['ls', '--prefix', 'notes/'], admin)
    expect(listed.code, listed.stderr).toBe(0)
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
    expect(lines.map((line) => line[0])).toEqual(['notes/copy', 'notes/plan'])
    expect(Number(lines[1]![1])).toBeGreaterThan(0)
    expect(Date.parse(lines[1]![2]!)).not.toBeNaN()
    expect(lines[1]![3]).toBe('1')
    const removed = await runCli(['rm', 'notes/copy', '--token', ADMIN], env)
    expect(removed.code, removed.stderr).toBe(0)
    expect((await runCli(['ls'], admin)).stdout).not.toContain('notes/copy')
    editor.destroy()
  })

  it('AP10: on a data folder no server holds, and a folder a server holds is refused with a pointer to --url', async () => {
    const dir = tempDataDir()
    const input = join(files, 'local.txt')
    writeFileSync(input, 'written offline')
    expect((await runCli(['import', 'local/one', input, '--data', dir], CLEAN)).code).toBe(0)
    expect((await runCli(['import', 'local/two', input, '--data', dir], CLEAN)).code).toBe(0)
    const listed = await runCli(['ls', '--data', dir], CLEAN)
    expect(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')[0])
    ).toEqual(['local/one', 'local/two'])
    expect((await runCli(['export', 'local/one', '--data', dir], CLEAN)).stdout).toBe('written offline')
    expect((await runCli(['rm', 'local/two', '--data', dir], CLEAN)).code).toBe(0)
    // A server then serves what was imported.
    const served = await startServer({ dataDir: dir })
    try {
      const text = await fetch(`${served.httpUrl}/api/docs/local/one`)
      expect(await text.text()).toBe('written offline')
      expect((await fetch(`${served.httpUrl}/api/docs/local/two`)).status).toBe(404)
      const locked = await runCli(['ls', '--data', dir], CLEAN)
      expect(locked.code).toBe(1)
      expect(locked.stderr).toMatch(/in use by another process.*use --url/)
      const lockedImport = await runCli(['import', 'local/one', input, '--data', dir], CLEAN)
      expect(lockedImport.code).toBe(1)
    } finally {
      await served.kill('SIGTERM')
    }
  })

  it('AP10: errors exit non-zero naming the problem, and change nothing', async () => {
    const env = { ...CLEAN, QUIRE_URL: server.httpUrl, QUIRE_TOKEN: write }
    writeFileSync(join(files, 'keep.txt'), 'kept')
    expect((await runCli(['import', 'notes/kept', join(files, 'keep.txt')], env)).code).toBe(0)
    writeFileSync(join(files, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]))
    // A loopback port nobody listens on: taken, then released.
    const nowhere = await new Promise<string>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo
        probe.close(() => resolve(`http://127.0.0.1:${port}`))
      })
    })
    const cases: Array<{ args: string[]; env?: Record<string, string>; code: number; error: RegExp }> = [
      { args: ['ls'], env: CLEAN, code: 2, error: /give --url .* or --data/ },
      { args: ['ls', '--url', server.httpUrl, '--data', files], env: CLEAN, code: 2, error: /not both/ },
      { args: ['export'], code: 2, error: /expects NAME, got none/ },
      { args: ['export', 'bad name'], code: 2, error: /NAME "bad name": document name may only contain/ },
      { args: ['export', 'notes/kept', '--format', 'pdf'], code: 2, error: /--format must be text, md or yjs/ },
      { args: ['export', 'notes/kept', '--bogus'], code: 2, error: /Unknown option '--bogus'/ },
      { args: ['import', 'notes/kept'], code: 2, error: /expects NAME and FILE/ },
      { args: ['ls', '--url', 'ftp://example'], env: CLEAN, code: 2, error: /--url must start with http/ },
      { args: ['import', 'notes/kept', join(files, 'missing.txt')], code: 1, error: /cannot read .*missing\.txt: ENOENT/ },
      { args: ['import', 'notes/kept', join(files, 'latin1.txt')], code: 1, error: /not UTF-8 text/ },
      { args: ['export', 'notes/nothing'], code: 1, error: /nothing stored \(HTTP 404\)/ },
      { args: ['export', 'notes/kept'], env: { ...CLEAN, QUIRE_URL: server.httpUrl }, code: 1, error: /token is required .*HTTP 401/ },
      { args: ['ls'], code: 1, error: /not administration .*HTTP 403/ },
      { args: ['rm', 'notes/kept'], code: 1, error: /not administration .*HTTP 403/ },
      { args: ['rm', 'notes/nothing', '--token', ADMIN], code: 1, error: /nothing stored \(HTTP 404\)/ },
      { args: ['ls', '--url', nowhere, '--token', ADMIN], env: CLEAN, code: 1, error: /cannot reach the server at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/ },
      { args: ['export', 'x', '--data', join(files, 'no-such-folder')], env: CLEAN, code: 1, error: /data folder .* does not exist/ },
      { args: ['export', 'x', '--data', join(files, 'keep.txt')], env: CLEAN, code: 2, error: /exists and is not a folder/ }
    ]
    // None of them changes anything, so they run side by side.
    const runs = await Promise.all(cases.map((c) => runCli(c.args, c.env ?? env)))
    for (const [i, c] of cases.entries()) {
      const run = runs[i]!
      expect(run.code, `${c.args.join(' ')}: ${run.stderr}`).toBe(c.code)
      expect(run.stderr, c.args.join(' ')).toMatch(c.error)
      expect(run.stderr, c.args.join(' ')).toMatch(new RegExp(`^quire ${c.args[0]}: `))
      expect(run.stdout, c.args.join(' ')).toBe('')
    }
    expect((await runCli(['export', 'notes/kept'], env)).stdout).toBe('kept')
  })

  it('AP10: --help for each command, and the commands in quire --help', async () => {
    for (const command of ['ls', 'export', 'import', 'rm']) {
      const help = await runCli([command, '--help'], CLEAN)
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(new RegExp(`^Usage: quire ${command} `))
      expect(help.stdout).toContain('--url URL')
      expect(help.stdout).toContain('--data DIR')
    }
    const top = await runCli(['--help'], CLEAN)
    for (const command of ['ls', 'export', 'import', 'rm']) expect(top.stdout).toMatch(new RegExp(`\\n  ${command} +`))
    const token = await runCli(['token', '--help'], CLEAN)
    expect(token.stdout).toContain('--admin')
    const both = await runCli(['token', '--admin', '--doc', 'x', '--secret', SECRET], CLEAN)
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--admin covers every document/)
  })
})
