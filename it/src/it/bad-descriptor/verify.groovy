String log = new File(basedir, 'build.log').text
String yaml = new File(basedir, 'src/main/bpf/broken/broken.template.yaml').canonicalPath
assert log =~ /\[ERROR\] \Q${yaml}\E:\[4,\d+\] programs\.main\.hook: / : 'the error names the descriptor, its line and the field'
assert log.contains('MojoFailureException') : 'a build failure, not an error'
assert !log.contains('\tat io.kiln') : 'no stack trace'
return true
