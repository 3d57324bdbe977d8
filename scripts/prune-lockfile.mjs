// The npm registry reachable from our machines serves only some platform builds of native optional
// packages (e.g. @unrs/resolver-binding-darwin-arm64 answers 404). `npm install` skips what it cannot
// fetch but leaves the names in their parents' optionalDependencies, and `npm ci` then refuses the
// lock as out of sync. Run this after every `npm install`: it removes, from package-lock.json, the
// optional dependencies that have no entry of their own, and lists them.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
const pruned = [];

/** The lock path a dependency of `parent` resolves to, following node's nested node_modules lookup. */
function resolves(parent, name) {
  let base = parent;
  for (;;) {
    if (packages[`${base ? `${base}/` : ''}node_modules/${name}`]) return true;
    if (!base) return false;
    const cut = base.lastIndexOf('node_modules/');
    base = cut <= 0 ? '' : base.slice(0, cut - 1);
  }
}

for (const [path, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (!resolves(path, name)) {
      delete entry.optionalDependencies[name];
      pruned.push(name);
    }
  }
}
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(pruned.length ? `pruned ${pruned.length} unresolvable optional dependencies: ${[...new Set(pruned)].sort().join(', ')}` : 'lock file: nothing to prune');
