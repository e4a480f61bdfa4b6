// loading into the kernel needs root; without it the project is skipped, unless KILN_REQUIRE_KERNEL=1
// says this machine must run it (then kiln.verify.required makes the build fail for want of privileges,
// and verify.groovy fails the test)
boolean root = ['id', '-u'].execute().text.trim() == '0'
if (!root && System.getenv('KILN_REQUIRE_KERNEL') != '1') {
    println 'verifier-reject skipped: loading BPF programs needs root (set KILN_REQUIRE_KERNEL=1 to fail instead)'
    return false
}
return true
