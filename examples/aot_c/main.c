/* Calls the chain10 library exported by examples/aot_export.py.
 * Build (aot_export.py does this for you):
 *   cc -O2 -I build main.c -L build -lchain10 -Wl,-rpath,'$ORIGIN' -o build/chain10_demo
 */
#include <stdio.h>
#include <math.h>
#include "chain10.h"

int main(void) {
    static float x[CHAIN10_ARG0_SIZE], y[CHAIN10_OUT0_SIZE];
    for (int i = 0; i < CHAIN10_ARG0_SIZE; i++)
        x[i] = -3.0f + 6.0f * (float)i / (CHAIN10_ARG0_SIZE - 1);
    int rc = chain10(x, y);
    if (rc != CHAIN10_OK) {
        fprintf(stderr, "chain10 failed with code %d\n", rc);
        return 1;
    }
    double max_err = 0.0;
    for (int i = 0; i < CHAIN10_ARG0_SIZE; i++) {
        double v = x[i];
        double ref = tanh(((v * 1.5 + 2) * v - 0.5) / (1 + v * v)) * 3 + v;
        double err = fabs(ref - y[i]);
        if (err > max_err) max_err = err;
    }
    printf("chain10 from C: y[0] = %f, y[%d] = %f, max |error| vs libm double = %.2e\n",
           y[0], CHAIN10_OUT0_SIZE - 1, y[CHAIN10_OUT0_SIZE - 1], max_err);
    return max_err < 1e-4 ? 0 : 1;
}
