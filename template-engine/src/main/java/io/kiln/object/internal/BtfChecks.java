package io.kiln.object.internal;

import io.kiln.object.BtfType;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Checks on decoded BTF that every later walk depends on: references point at existing types,
 * and references do not loop except through a struct or union (the only way C makes a type
 * refer to itself).
 */
final class BtfChecks {
    private BtfChecks() {
    }

    static void check(List<BtfType> types) {
        for (BtfType t : types) {
            for (int ref : references(t)) {
                if (ref < 0 || ref >= types.size()) {
                    throw new FormatException("BTF type [" + t.id() + "] " + t.kind() + " '" + t.name()
                            + "' refers to type [" + Integer.toUnsignedString(ref) + "], which does not exist (there are "
                            + (types.size() - 1) + " types)");
                }
            }
        }
        checkNoLoops(types);
    }

    /** References a walker follows without stopping; struct and union members are excluded on purpose. */
    static int[] chained(BtfType t) {
        if (t instanceof BtfType.Composite) {
            return new int[0];
        }
        return references(t);
    }

    private static int[] references(BtfType t) {
        if (t instanceof BtfType.Alias a) {
            return new int[] {a.target()};
        } else if (t instanceof BtfType.Ptr p) {
            return new int[] {p.target()};
        } else if (t instanceof BtfType.Array a) {
            return new int[] {a.elementType(), a.indexType()};
        } else if (t instanceof BtfType.Composite c) {
            return c.members().stream().mapToInt(BtfType.Member::typeId).toArray();
        } else if (t instanceof BtfType.Func f) {
            return new int[] {f.protoId()};
        } else if (t instanceof BtfType.FuncProto f) {
            int[] refs = new int[f.params().size() + 1];
            refs[0] = f.returnType();
            for (int i = 0; i < f.params().size(); i++) {
                refs[i + 1] = f.params().get(i).typeId();
            }
            return refs;
        } else if (t instanceof BtfType.Var v) {
            return new int[] {v.typeId()};
        } else if (t instanceof BtfType.DataSec d) {
            return d.variables().stream().mapToInt(BtfType.VarSecInfo::typeId).toArray();
        } else if (t instanceof BtfType.DeclTag d) {
            return new int[] {d.target()};
        }
        return new int[0];
    }

    private static void checkNoLoops(List<BtfType> types) {
        byte[] state = new byte[types.size()]; // 0 unvisited, 1 on the current path, 2 done
        Deque<Frame> path = new ArrayDeque<>();
        for (int root = 1; root < types.size(); root++) {
            if (state[root] != 0) {
                continue;
            }
            state[root] = 1;
            path.push(new Frame(root, chained(types.get(root))));
            while (!path.isEmpty()) {
                Frame top = path.peek();
                if (top.next == top.refs.length) {
                    state[top.id] = 2;
                    path.pop();
                    continue;
                }
                int ref = top.refs[top.next++];
                if (state[ref] == 1) {
                    throw new FormatException("BTF type [" + ref + "] " + types.get(ref).kind()
                            + " refers to itself through a loop of references");
                }
                if (state[ref] == 0) {
                    state[ref] = 1;
                    path.push(new Frame(ref, chained(types.get(ref))));
                }
            }
        }
    }

    private static final class Frame {
        final int id;
        final int[] refs;
        int next;

        Frame(int id, int[] refs) {
            this.id = id;
            this.refs = refs;
        }
    }
}
