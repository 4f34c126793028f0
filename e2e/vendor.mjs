// Copies the browser assets the server embeds from their npm packages
// (versions pinned in package.json and package-lock.json) into
// handlers/console/static/vendor/. Run after changing a version:
//   cd e2e && npm ci && npm run vendor
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'handlers', 'console', 'static', 'vendor');
const files = [
  ['htmx.org/dist/htmx.min.js', 'htmx.min.js'],
  ['htmx.org/LICENSE', 'htmx.LICENSE'],
  ['swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
  ['swagger-ui-dist/swagger-ui.css', 'swagger-ui.css'],
  ['swagger-ui-dist/LICENSE', 'swagger-ui.LICENSE'],
  ['swagger-ui-dist/NOTICE', 'swagger-ui.NOTICE'],
];
mkdirSync(out, { recursive: true });
for (const [from, to] of files) {
  copyFileSync(join(here, 'node_modules', from), join(out, to));
  console.log(`vendored ${from} -> ${to}`);
}
