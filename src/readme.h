/*
 * The README.md that init writes at the top of the tree, telling whoever
 * opens the directory what it is and how to read every kind of log in it.
 */
#ifndef README_H
#define README_H

#include "conf.h"

char	*readme_text(const struct evm_config *);

#endif
