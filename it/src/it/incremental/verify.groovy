import java.nio.file.Files

// the four invocations share build.log; each starts with Maven's "Scanning for projects..."
String log = new File(basedir, 'build.log').text
List<String> runs = log.split(/\[INFO\] Scanning for projects\.\.\./).findAll { it.contains('BUILD SUCCESS') }
assert runs.size() == 4 : "four builds, found ${runs.size()}"
def clangRuns = { String run -> (run =~ /kiln: compiled \S+ with clang/).size() }
def cacheHits = { String run -> (run =~ /kiln: \S+ from the object cache/).size() }

// 1: cold, one clang run per variant: alpha() (ipv6=false, the default), alpha(ipv6=true), beta()
assert clangRuns(runs[0]) == 3 : runs[0]

// 2: a fresh build folder: every variant from the object cache, none compiled
assert clangRuns(runs[1]) == 0 : runs[1]
assert runs[1].contains('0 compiled by clang, 3 from the object cache')

// 3: nothing changed: nothing built, nothing written
assert clangRuns(runs[2]) == 0 && cacheHits(runs[2]) == 0 : runs[2]
assert !runs[2].contains('kiln: building') && !runs[2].contains('kiln: rebuilding') : runs[2]
assert runs[2].contains('0 compiled by clang, 0 from the object cache, 3 up to date; 0 file(s) written')
assert runs[2].contains('bindings of 2 template(s) in package com.example.inc: 0 written, 2 unchanged')

// 4: include/v6.h changed: only the variant that includes it, and the log says why
assert runs[3].contains('kiln: rebuilding alpha(ipv6=true): include/v6.h changed') : runs[3]
assert clangRuns(runs[3]) == 1 : runs[3]
assert !(runs[3] =~ /rebuilding (alpha\(\)|beta)/) : runs[3]
assert runs[3].contains('1 compiled by clang, 0 from the object cache, 2 up to date')

// reproducible: the cold build and the fresh-folder build made the same jar, byte for byte
byte[] first = Files.readAllBytes(new File(basedir, 'target/incremental-1.0.jar').toPath())
byte[] again = Files.readAllBytes(new File(basedir, 'target-repro/incremental-1.0.jar').toPath())
assert Arrays.equals(first, again) : 'same inputs, same jar'
byte[] touched = Files.readAllBytes(new File(basedir, 'target/touched.jar').toPath())
assert !Arrays.equals(first, touched) : 'a changed header changes the bundle'
return true
