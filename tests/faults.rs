//! Faults injected into a running console: see the tests below.
