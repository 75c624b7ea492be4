/* jq-bench-oneshot: the one-shot floor in C (see oneshot.c).
 *
 *   jq-bench-oneshot HOST PORT QUEUE DB SQL
 */
#include "oneshot.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv)
{
  if (argc != 6) {
    fprintf(stderr, "usage: jq-bench-oneshot HOST PORT QUEUE DB SQL\n");
    return 2;
  }
  return oneshot(argv[1], atoi(argv[2]), argv[3], argv[4], argv[5]);
}
