String log = new File(basedir, 'build.log').text
String ftl = new File(basedir, 'src/main/bpf/bad/bad.bpf.c.ftl').canonicalPath
assert log.contains("[ERROR] ${ftl}:[9,20] error: use of undeclared identifier 'no_such_name'") : 'the error names the template file, line and column'
assert log.contains("kiln:compile: ${ftl}:[9,20] error: use of undeclared identifier 'no_such_name'") : 'the failure message is short'
assert log.contains('MojoFailureException') : 'a build failure, not an error'
assert !log.contains('Exception in thread') && !log.contains('\tat io.kiln') : 'no stack trace'
return true
