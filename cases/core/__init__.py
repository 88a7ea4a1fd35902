"""The shared foundation: choices, clock, audit chain, storage, the SSRF guard, jobs, scoping, roles, the shared
writers (recorders), the lifecycle idiom, the FilterSets and the consoles' admin base."""
