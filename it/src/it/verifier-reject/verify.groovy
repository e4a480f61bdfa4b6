String log = new File(basedir, 'build.log').text
assert log.contains('kiln:verify') : log
assert !log.contains('cannot load BPF programs') : 'this machine must load BPF programs for this test: ' + log
assert log.contains('template gate: variant gate(): constants one: object gate: program gate: rejected by the verifier: R1 offset is outside of the packet') : log
assert log.contains('invalid access to packet') : 'the verifier log tail is shown'
assert log.contains('MojoFailureException') : 'a build failure, not an error'
return true
