// The same deployment with the seed's Ansible dynamic inventory script: its hosts are in
// the group `webservers`, as in the seed's playbook.
//
//   npx tsx --tsconfig examples/tsconfig.json examples/deploy-inventory-py.ts [--check]
import { deploy, group, host, inventory } from 'shipshape';
import { webapp } from 'shipshape/recipes/webapp';

// The script is run with --list; relative key paths in it resolve from its folder.
inventory.load('./inventory.py');   // relative to this file, wherever tsx is run from

// The script names no user: Vagrant's provisioner passed `vagrant`, so do we.
host('web-01', { user: 'vagrant' });

// The seed's play says `become: true`.
group('webservers').become().use(webapp, {});

await deploy();
