package io.kiln.cli;

import io.kiln.KilnException;
import io.kiln.compile.CompileException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code kiln} command. */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"BPF templating and build toolchain: render, compile, cache and inspect BPF templates;",
                "run the node agent that specializes them per endpoint and hot-swaps them, and talk to it."},
        subcommands = {RenderCommand.class, CompileCommand.class, BundleCommand.class, InspectCommand.class, DemoCommand.class,
                AgentCommand.class, StatusCommand.class, FlowsCommand.class, FqdnCommand.class,
                SpecCommands.EndpointCommand.class,
                SpecCommands.PolicyCommand.class, SpecCommands.ServiceCommand.class, UninstallCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "The launcher also runs the test suite: ./kiln test (installs missing Debian packages,"
                + " then ./mvnw -B verify).",
                "Exit codes: 0 success, 1 a build or kernel step failed, 2 bad input or usage."})
public final class Main {
    static final int EXIT_FAILED = 1;
    static final int EXIT_BAD_INPUT = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(new Main(), out, err, args);
    }

    static int run(Object command, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(Main::handle);
        cli.setParameterExceptionHandler(Main::badUsage);
        try {
            return cli.execute(args);
        } catch (StackOverflowError | OutOfMemoryError e) {
            // picocli hands only Exceptions to the handler; an Error from input too large or too deep
            // still gets one line, not a JVM stack trace.
            err.println("kiln: " + (e instanceof StackOverflowError ? "input nests too deeply" : "out of memory")
                    + " (" + e.getClass().getSimpleName() + "); set KILN_DEBUG=1 to see the stack trace");
            if (System.getenv("KILN_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.flush();
            return EXIT_BAD_INPUT;
        }
    }

    /** A command line picocli cannot parse: one line and where to look, not the whole usage text. */
    private static int badUsage(CommandLine.ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println("kiln: " + e.getMessage() + " (see: " + e.getCommandLine().getCommandSpec().qualifiedName()
                + " --help)");
        err.flush();
        return EXIT_BAD_INPUT;
    }

    /** Errors Kiln understands become one message and an exit code; only bugs get a stack trace. */
    private static int handle(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (e instanceof KilnException k) {
            err.println("kiln: " + k.getMessage());
            err.flush();
            // clang rejecting the C is a template bug (a user error to the agent) but, as the README
            // and --help say, a failed build step here
            return k.isUserError() && !(k instanceof CompileException) ? EXIT_BAD_INPUT : EXIT_FAILED;
        }
        if (e instanceof java.io.UncheckedIOException || e instanceof java.io.IOException) {
            err.println("kiln: " + e.getMessage());
            err.flush();
            return EXIT_FAILED;
        }
        err.println("kiln: internal error: " + e);
        if (System.getenv("KILN_DEBUG") != null) {
            e.printStackTrace(err);
        } else {
            err.println("kiln: set KILN_DEBUG=1 to see the stack trace, and please report it");
        }
        err.flush();
        return EXIT_FAILED;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"kiln " + (v == null ? "(development build)" : v)};
        }
    }
}
