import java.util.jar.JarFile

File log = new File(basedir, 'build.log')
String text = log.text
assert text.contains('Tests run: 4, Failures: 0, Errors: 0') : 'the bindings tests ran and passed'
assert new File(basedir, 'target/generated-sources/kiln/com/example/counter/CounterBpf.java').isFile()

def jar = new JarFile(new File(basedir, 'target/minimal-1.0.jar'))
try {
    assert jar.getEntry('META-INF/kiln/index.json') != null : 'the jar is a bundle'
    def objects = jar.entries().toList().findAll { it.name.startsWith('META-INF/kiln/objects/counter/') && it.name.endsWith('.o') }
    assert objects.size() == 2 : "one object per variant of the matrix, found ${objects*.name}"
    assert jar.getEntry('com/example/counter/CounterBpf$Constants.class') != null : 'the bindings are compiled into the jar'
} finally {
    jar.close()
}
def classpath = new File(basedir, 'test-classpath.txt').text
assert classpath.contains('kiln-testing') : 'the testing API is on the test class path'
['fabric8', 'picocli', 'kiln-agent', 'kiln-cli'].each { banned ->
    assert !classpath.contains(banned) : "a project with only the testing API gets ${banned}: ${classpath}"
}
return true
