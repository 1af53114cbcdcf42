import { describe, expect, it } from 'vitest'
import { WriteQueue } from '../src/documents/write-queue.js'

function deferredWrites() {
  const batches: number[][] = []
  const releases: Array<(error?: Error) => void> = []
  const queue = new WriteQueue<number>(
    (items) =>
      new Promise<void>((resolve, reject) => {
        batches.push(items)
        releases.push((error) => (error ? reject(error) : resolve()))
      })
  )
  return { queue, batches, releases }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))

describe('write queue (group commit)', () => {
  it('DV5: groups items pushed in one turn into one write', async () => {
    const { queue, batches, releases } = deferredWrites()
    queue.push(1)
    queue.push(2)
    queue.push(3)
    await turn()
    expect(batches).toEqual([[1, 2, 3]])
    releases[0]!()
    await queue.flushed()
    expect(queue.pending).toBe(0)
  })

  it('DV5: writes one batch at a time, collecting the next meanwhile, in order', async () => {
    const { queue, batches, releases } = deferredWrites()
    queue.push(1)
    await turn()
    queue.push(2)
    queue.push(3)
    await turn()
    expect(batches).toEqual([[1]])
    releases[0]!()
    await turn()
    expect(batches).toEqual([[1], [2, 3]])
    releases[1]!()
    await queue.flushed()
  })

  it('DV3: runs whenDurable callbacks only after everything pushed before them is written, in order', async () => {
    const { queue, releases } = deferredWrites()
    const seen: string[] = []
    queue.whenDurable(() => seen.push('nothing pending: at once'))
    queue.push(1)
    queue.whenDurable(() => seen.push('after 1'))
    await turn()
    queue.push(2)
    queue.whenDurable(() => seen.push('after 2'))
    releases[0]!()
    await turn()
    expect(seen).toEqual(['nothing pending: at once', 'after 1'])
    releases[1]!()
    await queue.flushed()
    expect(seen).toEqual(['nothing pending: at once', 'after 1', 'after 2'])
  })

  it('DV4: after a failed write, reports the failure to every waiter and writes nothing more', async () => {
    const { queue, batches, releases } = deferredWrites()
    const errors: Array<Error | undefined> = []
    queue.push(1)
    queue.whenDurable((error) => errors.push(error))
    await turn()
    queue.push(2)
    queue.whenDurable((error) => errors.push(error))
    releases[0]!(new Error('disk full'))
    await expect(queue.flushed()).rejects.toThrow('disk full')
    expect(errors.map((e) => e?.message)).toEqual(['disk full', 'disk full'])
    queue.push(3)
    await turn()
    expect(batches).toEqual([[1]])
  })
})
