// `npm run docs`: rewrites the generated parts of README.md (the key table
// between <!-- keys:start --> and <!-- keys:end -->) from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { keysMarkdown } from '../src/ui/docs/keys-markdown.js';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const re = /(<!-- keys:start -->\n)[\s\S]*?(<!-- keys:end -->)/;
if (!re.test(readme)) {
  console.error('README.md has no <!-- keys:start --> ... <!-- keys:end --> section');
  process.exit(1);
}
writeFileSync(path, readme.replace(re, `$1${keysMarkdown()}\n$2`));
console.log('README.md key table regenerated');
