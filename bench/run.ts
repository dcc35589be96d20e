// Benchmarks against Ansible on lab hosts come with the benchmark issue. Until then this says so,
// rather than printing numbers that were not measured.
console.log('no benchmarks yet: the comparison with Ansible on lab hosts is planned (see CHANGELOG "Unreleased")');
