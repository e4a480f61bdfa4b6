/* common.h: included by every variant of both templates */
#ifndef COMMON_H
#define COMMON_H
#define PASS 0
#endif
