/**
 * The Yjs version the update guards mirror. `update-check.ts` walks Yjs's v1 decoder
 * (`readClientsStructRefs`, `readItemContent`, `readAndApplyDeleteSet`), `integration-cost.ts` its
 * integration loop (`Item.integrate`, `getMissing`) and `pending.ts` its handling of updates it
 * cannot integrate yet (`integrateStructs`, `readUpdateV2`). `yjs` is pinned to exactly this
 * version in package.json, and a test fails when the installed one differs: before changing either,
 * re-read those functions in the new Yjs and bring the guards (and their tests) in line.
 */
export const GUARDED_YJS_VERSION = '13.6.33'
