/**
 * `quire migrate-to-redis`: a LevelDB data folder written by a real server, copied into a real
 * redis-server, then served by an instance in cluster mode.
 */
import { rmSync } from 'node:fs'
import { connect, runCli, startRedis, startServer, waitFor } from '@quire/testkit'
import { describe, expect, it } from 'vitest'

describe('migrate-to-redis', () => {
  it('CL9: copies every document of a data folder into Redis with its history, never overwrites one there, and cluster mode serves them', async () => {
    // Versions cut after 200 ms without a change, so the folder has a history to carry over.
    const server = await startServer({ args: ['--compact-every', '3', '--history-idle-ms', '200', '--history-max-ms', '1000'] })
    const texts: Record<string, string> = { 'm/a': '', 'm/b': '', 'deep/er/c': '' }
    for (const name of Object.keys(texts)) {
      const writer = connect(server.wsUrl, name)
      await writer.synced()
      for (let i = 0; i < 10; i++) writer.text.insert(writer.text.length, `${name}:${i} `)
      texts[name] = writer.text.toString()
      const reader = connect(server.wsUrl, name)
      await waitFor(() => reader.text.toString() === texts[name], `${name} to be stored`)
      writer.destroy()
      reader.destroy()
    }
    const versions = async (httpUrl: string) =>
      ((await (await fetch(`${httpUrl}/api/docs/m/a/versions`)).json()) as { versions: Array<{ id: string }> }).versions
    let history: Array<{ id: string }> = []
    await waitFor(async () => {
      history = await versions(server.httpUrl)
      return history.length > 0
    }, 'a version of m/a')
    expect(await server.kill('SIGTERM')).toBe(0)
    const redis = await startRedis()
    try {
      const usage = await runCli(['migrate-to-redis', '--data', server.dataDir])
      expect(usage.code).toBe(2)
      expect(usage.stderr).toMatch(/--redis is required/)

      const first = await runCli(['migrate-to-redis', '--data', server.dataDir, '--redis', redis.url])
      expect(first.stdout).toContain('3 documents migrated, 0 skipped (already in Redis), 0 failed')
      expect(first.code).toBe(0)
      const again = await runCli(['migrate-to-redis', '--data', server.dataDir, '--redis', redis.url])
      expect(again.stdout).toContain('0 documents migrated, 3 skipped (already in Redis), 0 failed')

      const instance = await startServer({ args: ['--redis', redis.url] })
      for (const [name, text] of Object.entries(texts)) {
        const client = connect(instance.wsUrl, name)
        await client.synced()
        expect(client.text.toString()).toBe(text)
        client.destroy()
      }
      const carried = await versions(instance.httpUrl)
      expect(carried.map((version) => version.id)).toEqual(history.map((version) => version.id))
      expect(await (await fetch(`${instance.httpUrl}/api/docs/m/a/versions/${carried.at(-1)!.id}`)).text()).toMatch(/^m\/a:0/)
      expect(await instance.kill('SIGTERM')).toBe(0)
      rmSync(instance.dataDir, { recursive: true, force: true })
    } finally {
      await redis.kill('SIGKILL')
      rmSync(redis.dir, { recursive: true, force: true })
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })

  it('CL9/CL11: a document deleted in Redis and then migrated comes in whole, with its history, and instances serve and write it', async () => {
    const admin = 'migrate-admin-token-0123456789abcdef'
    const redis = await startRedis()
    const server = await startServer({ args: ['--admin-token', admin] })
    const call = (base: string, method: string, path: string, body?: string) =>
      fetch(base + path, { method, body, headers: { Authorization: `Bearer ${admin}` } })
    try {
      // The name lived in Redis once and was deleted there: its generation counted up.
      const first = await startServer({ args: ['--redis', redis.url, '--admin-token', admin] })
      expect((await call(first.httpUrl, 'PUT', '/api/docs/m/again', 'in Redis before')).status).toBe(201)
      expect((await call(first.httpUrl, 'DELETE', '/api/admin/docs/m/again')).status).toBe(200)
      expect(await first.kill('SIGTERM')).toBe(0)
      rmSync(first.dataDir, { recursive: true, force: true })
      // The data folder has its own document of that name, with a named version.
      expect((await call(server.httpUrl, 'PUT', '/api/docs/m/again', 'from the folder')).status).toBe(201)
      const named = await call(server.httpUrl, 'PUT', '/api/docs/m/again/versions/live/label', JSON.stringify({ label: 'kept' }))
      expect(named.status).toBe(200)
      const version = ((await named.json()) as { id: string }).id
      expect(await server.kill('SIGTERM')).toBe(0)

      const moved = await runCli(['migrate-to-redis', '--data', server.dataDir, '--redis', redis.url])
      expect(moved.stdout).toContain('1 documents migrated, 0 skipped (already in Redis), 0 failed')
      expect(moved.code).toBe(0)
      const instance = await startServer({ args: ['--redis', redis.url] })
      try {
        const writer = connect(instance.wsUrl, 'm/again')
        await writer.synced()
        expect(writer.text.toString()).toBe('from the folder')
        expect(await (await fetch(`${instance.httpUrl}/api/docs/m/again/versions/${version}`)).text()).toBe('from the folder')
        // Its writes carry the generation Redis has, so they are stored: a second instance sees them.
        writer.text.insert(writer.text.length, ', then typed')
        const other = await startServer({ args: ['--redis', redis.url] })
        try {
          const reader = connect(other.wsUrl, 'm/again')
          await waitFor(() => reader.text.toString() === 'from the folder, then typed', 'the typing on the other instance')
          reader.destroy()
        } finally {
          await other.kill('SIGKILL')
          rmSync(other.dataDir, { recursive: true, force: true })
        }
        writer.destroy()
      } finally {
        await instance.kill('SIGKILL')
        rmSync(instance.dataDir, { recursive: true, force: true })
      }
    } finally {
      await redis.kill('SIGKILL')
      rmSync(redis.dir, { recursive: true, force: true })
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })
})
