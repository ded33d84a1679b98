// Writes oracle/executor/protocol.h from oracle/protocol.ts. Run: npx ts-node scripts/gen-protocol-header.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderHeader } from '../oracle/header';

const file = path.join(__dirname, '..', 'oracle', 'executor', 'protocol.h');
fs.writeFileSync(file, renderHeader());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
