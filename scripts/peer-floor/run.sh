#!/usr/bin/env bash
# Check @quire/editor against the lowest versions its peer ranges allow: install those (and the
# editor's own dependencies) from npm into a temporary folder, compile the editor's source
# against them, bundle a page with Vite and have two people type into it in Chromium through
# the real server (pnpm build first). Run it after changing a peer range.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# "^6.0.0" -> "6.0.0": the floor of each peer range, and the installed version of each dependency.
specs="$(node -e '
  const editor = require(process.argv[1] + "/packages/editor/package.json")
  const floor = (range) => range.replace(/^[\^~>=]+/, "")
  const installed = (name) => require(require.resolve(name + "/package.json", { paths: [process.argv[1] + "/packages/editor"] })).version
  const peers = Object.entries(editor.peerDependencies).map(([name, range]) => `${name}@${floor(range)}`)
  const deps = Object.keys(editor.dependencies).filter((name) => !name.startsWith("@quire/")).map((name) => `${name}@${installed(name)}`)
  console.log([...peers, ...deps].join(" "))
' "$root")"
echo "peer-floor: $specs"
cd "$work"
echo '{"name":"peer-floor","private":true,"type":"module"}' >package.json
# shellcheck disable=SC2086
npm install --no-audit --no-fund --loglevel=error $specs
mkdir -p node_modules/@quire && ln -s "$root/packages/protocol" node_modules/@quire/protocol
cp -r "$root/packages/editor/src" src
cp -r "$root/scripts/peer-floor/page" page
# yjs before 13.5.39 does not expose its types through "exports"; point TypeScript at them, so
# the compile checks every API the editor calls against the floor versions.
cat >tsconfig.json <<'JSON'
{
  "extends": "ROOT/tsconfig.base.json",
  "compilerOptions": {
    "outDir": "out", "rootDir": "src", "lib": ["ES2023", "DOM", "DOM.Iterable"], "types": [],
    "declaration": false, "declarationMap": false, "sourceMap": false,
    "paths": { "yjs": ["./node_modules/yjs/dist/src/index.d.ts"] }
  },
  "include": ["src"]
}
JSON
sed -i "s#ROOT#$root#" tsconfig.json
"$root/node_modules/.bin/tsc" -p tsconfig.json
node "$root/apps/web/node_modules/vite/bin/vite.js" build page --outDir ../dist --emptyOutDir --logLevel warn
node "$root/scripts/peer-floor/check.mjs" "$root" "$work/dist"
