// The seed tutorial's deployment (a Python WSGI app under gunicorn and supervisord, behind
// nginx) on every node of cluster.json.
//
//   npx tsx bin/shipshape.ts lab up examples/cluster.json      # hosts for it, if you have none
//   npx tsx --tsconfig examples/tsconfig.json examples/deploy.ts [--check] [--diff]
//   curl http://127.0.0.1:8080                                  # Hello, World!
//
// In your own project the same file runs with `npx tsx deploy.ts`.
import { deploy, group, inventory } from 'shipshape';
import { webapp } from 'shipshape/recipes/webapp';

// Every node of a cluster.json is in the group `all`, reached as vagrant with become, as
// Vagrant's Ansible provisioner does.
inventory.load('./cluster.json');   // relative to this file, wherever tsx is run from

group('all').use(webapp, {});

await deploy();
