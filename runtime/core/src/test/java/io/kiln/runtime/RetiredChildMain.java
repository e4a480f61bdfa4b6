package io.kiln.runtime;

import io.kiln.host.Netns;

import java.nio.file.Path;

/**
 * The agent of {@link RetiredNodeMapsKernelTest} before it is killed: attaches endpoints A (7, on
 * the lab's ks-ep0) and B (8, on ks-ep1) with ks_ret v1, swaps A to v2 (the node map ks_flows
 * migrates), prints {@code swapped} and waits to be killed with SIGKILL, B still on v1.
 *
 * <p>Arguments: pin root, state folder, the ep namespace's name, the peer namespace's name, attach mode.
 */
public final class RetiredChildMain {
    private RetiredChildMain() {
    }

    public static void main(String[] args) throws Exception {
        EndpointLoader loader = EndpointLoader.builder().pinRoot(Path.of(args[0])).stateDir(Path.of(args[1]))
                .attachMode(AttachMode.valueOf(args[4])).build();
        Endpoint a = RetiredNodeMapsKernelTest.endpointA(Netns.named(args[2]));
        Endpoint b = RetiredNodeMapsKernelTest.endpointB(Netns.named(args[3]));
        AttachedEndpoint attachedA = loader.attach(RetiredNodeMapsKernelTest.version(1), a);
        loader.attach(RetiredNodeMapsKernelTest.version(1), b);
        loader.swap(attachedA, RetiredNodeMapsKernelTest.version(2), a);
        System.out.println("swapped");
        System.out.flush();
        Thread.sleep(600_000); // the test kills this process long before
        System.exit(3);
    }
}
