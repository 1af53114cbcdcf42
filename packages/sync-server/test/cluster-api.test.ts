/**
 * The HTTP document API, the admin listing and document history in cluster mode: what one
 * instance stores through Redis, another reads, lists and opens (real processes, real Redis).
 */
import { connect, waitFor } from '@quire/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { startCluster, type TestCluster } from './helpers/cluster.js'

const ADMIN = 'cluster-api-admin-token-0123456789'

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const call = async (base: string, method: string, path: string, body?: string) => {
  const response = await fetch(base + path, { method, body, headers: { Authorization: `Bearer ${ADMIN}` } })
  return { status: response.status, text: await response.text() }
}

describe('cluster API and history', () => {
  it('CL3/AP1/AP7/HS1: a document written over HTTP on one instance is read, listed and versioned on another', async () => {
    // Versions cut after 200 ms without a change, so the test need not wait long.
    cluster = await startCluster(2, ['--admin-token', ADMIN, '--history-idle-ms', '200', '--history-max-ms', '1000'])
    const [a, b] = cluster.instances.map((instance) => instance.httpUrl)
    expect((await call(a!, 'PUT', '/api/docs/team/plan', 'written on A')).status).toBe(201)
    expect(await call(b!, 'GET', '/api/docs/team/plan')).toEqual({ status: 200, text: 'written on A' })
    expect((await call(b!, 'PUT', '/api/docs/team/other', 'written on B')).status).toBe(201)
    const listed = JSON.parse((await call(a!, 'GET', '/api/admin/docs?prefix=team/')).text) as { documents: Array<{ name: string }> }
    expect(listed.documents.map((doc) => doc.name)).toEqual(['team/other', 'team/plan'])

    // A client typing on A: the versions its instance cuts are listed and opened on B.
    const writer = connect(cluster.instances[0]!.wsUrl, 'team/plan')
    await writer.synced()
    writer.text.insert(writer.text.length, ', then typed')
    let versions: Array<{ id: string }> = []
    await waitFor(
      async () => {
        versions = (JSON.parse((await call(b!, 'GET', '/api/docs/team/plan/versions')).text) as { versions: Array<{ id: string }> }).versions ?? []
        return versions.length > 0 && (await call(b!, 'GET', `/api/docs/team/plan/versions/${versions[0]!.id}`)).text === 'written on A, then typed'
      },
      'a version holding the typing, opened on the other instance',
      30_000,
      100
    )
    writer.destroy()
  })
})
