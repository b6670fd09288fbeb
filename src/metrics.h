/*
 * Prometheus metrics in the text exposition format: status --prometheus
 * prints them, metrics_update rewrites metrics_file for node_exporter's
 * textfile collector at the end of every rotate, archive and run.
 */
#ifndef METRICS_H
#define METRICS_H

#include "esc.h"

struct evm_ctx;
struct mon;

void	metrics_format(const struct mon *, struct sbuf *);
int	metrics_update(struct evm_ctx *);

#endif
