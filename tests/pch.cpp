// Carries the HTTP precompiled header that test binaries reuse.
