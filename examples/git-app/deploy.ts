// An app deployed from git with a systemd unit and a timer (see index.ts):
//
//   APP_REPO=https://example.org/hello.git npx tsx --tsconfig examples/tsconfig.json examples/git-app/deploy.ts
//
// The hosts are those of ../cluster.json, or of the file SHIPSHAPE_INVENTORY names. The app in
// ./app is what the repository is expected to hold: `git init` it and serve or push it.
import { deploy, group, inventory } from 'shipshape';
import { gitApp } from './index.js';

inventory.load(process.env.SHIPSHAPE_INVENTORY ?? '../cluster.json');
group('all').use(gitApp, { repo: process.env.APP_REPO ?? 'https://example.org/hello.git', version: process.env.APP_VERSION ?? 'main' });

await deploy();
