/* common.h: found by clang through the template's include folder ../lib. */
#ifndef COMMON_H
#define COMMON_H

#define KILN_UNUSED_VAR(x) ((void)(x))

#endif /* COMMON_H */
