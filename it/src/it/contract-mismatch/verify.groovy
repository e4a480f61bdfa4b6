String log = new File(basedir, 'build.log').text
String yaml = new File(basedir, 'src/main/bpf/guard/guard.template.yaml').canonicalPath
assert log =~ /\[ERROR\] \Q${yaml}\E:\[8,1\] template guard: variant guard\(ipv6=false\): map syn_counts6 \(scope endpoint\) is declared but the object has no such map/ : 'the error names the descriptor line, the variant and the map'
assert log.contains('MojoFailureException') : 'a build failure, not an error'
assert !log.contains('\tat io.kiln') : 'no stack trace'
return true
