// Copies the non-TypeScript files the compiled gateway reads at run time (SQL migrations, seed files)
// next to the compiled modules in dist/.
import { cpSync } from 'node:fs';

for (const dir of ['gateway/store/migrations', 'gateway/demo/seed', 'sandbox/seed', 'profiles', 'mappings/examples']) {
  cpSync(dir, `dist/${dir}`, { recursive: true, force: true });
}
