/*
 * What tests/check_rhq.c, the one test file that includes rhq.c, gives the
 * others: the unit tests, rhq's version, and the time seam.  Nothing else
 * of rhq.c's names is seen by the system tests.
 */
#ifndef SEAM_H
#define SEAM_H

#include <check.h>

/* The unit tests of rhq's pure parts. */
Suite *unit_suite(void);

/* The version rhq reports, for comparing with what it sends and prints. */
extern const char rhq_version[];

/*
 * rhq's main function on a virtual clock that moves only while rhq waits
 * (see tests/check_rhq.c).  It keeps that clock, in seconds since the run
 * began, in the double in the file $RHQ_WARP_FILE.
 */
int warped_main(int argc, char *argv[]);

#endif
