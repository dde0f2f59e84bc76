// libpq, PostgreSQL's C client (Debian: libpq-dev, header under postgresql/).
#include <postgresql/libpq-fe.h>
