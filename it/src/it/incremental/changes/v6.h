/* v6.h: included only with ipv6=true (changed by the touch profile) */
#ifndef V6_H
#define V6_H
#define V6_BONUS 2
#endif
