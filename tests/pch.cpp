// The translation unit that carries a precompiled header for the test binaries to reuse.
