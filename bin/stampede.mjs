#!/usr/bin/env node
// The command line's earlier entry point, kept for scripts that start it by this name. The entry
// is bin/stampede.cjs: Node starts a CommonJS entry ~10 ms sooner than an ES module one, whose
// loader it sets up first.
import './stampede.cjs';
