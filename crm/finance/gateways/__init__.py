"""Online payment gateways (FN-2): one adapter per provider, Iranian IPG style
(request a token → redirect the payer to the bank → the bank calls back → verify
server-side). `sandbox` is the in-project bank used by the demo and the tests."""
