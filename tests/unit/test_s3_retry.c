/* The S3 client's retries and its pool's handling of failed connections, against a scripted HTTP server on
 * 127.0.0.1 that answers each request with the next step of a script: 503 SlowDown, 500, a dropped
 * connection, no answer at all, or 200. RGW cannot be made to fail on cue, so this is a fault injector for
 * the transport, not a stand-in for S3: every request that succeeds here is checked against RGW in
 * tests/s3/test_s3_client.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/s3.h"
#include "lp_test.h"

typedef enum step { OK_200, OK_200_THEN_CLOSE, SLOW_DOWN_503, ERROR_500, DROP, HANG } step;

typedef struct server {
  int listen_fd;
  int port;
  step script[16];
  int n_steps;
  atomic_int next;       /* requests answered so far */
  atomic_int connections; /* accepted */
  pthread_t thread;
} server;

/* Read one request (headers, then a body of Content-Length bytes). false when the peer closed. */
static bool read_request(int fd) {
  char buf[65536];
  size_t len = 0;
  char *end = NULL;
  while (end == NULL) {
    if (len == sizeof buf - 1) return false;
    ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
    if (n <= 0) return false;
    len += (size_t)n;
    buf[len] = '\0';
    end = strstr(buf, "\r\n\r\n");
  }
  const char *cl = strcasestr(buf, "\r\ncontent-length:");
  size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
  size_t have = len - (size_t)(end + 4 - buf);
  while (have < body) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    have += (size_t)n;
  }
  return true;
}

static void answer(int fd, int status, const char *reason, const char *body) {
  char head[256];
  int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nETag: \"e\"\r\n\r\n", status, reason,
                   strlen(body));
  (void)!send(fd, head, (size_t)n, MSG_NOSIGNAL);
  (void)!send(fd, body, strlen(body), MSG_NOSIGNAL);
}

/* Serve one connection until the script says to drop it or the client closes it. */
static void serve_connection(server *s, int fd) {
  while (s->next < s->n_steps && read_request(fd)) {
    step st = s->script[s->next++];
    if (st == OK_200 || st == OK_200_THEN_CLOSE) answer(fd, 200, "OK", "hello");
    if (st == SLOW_DOWN_503)
      answer(fd, 503, "Slow Down", "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
    if (st == ERROR_500) answer(fd, 500, "Internal Server Error", "<Error><Code>InternalError</Code></Error>");
    if (st == HANG) {
      char b[256];
      while (recv(fd, b, sizeof b, 0) > 0) continue;   /* until the client gives up */
      break;
    }
    if (st == DROP || st == OK_200_THEN_CLOSE) break;
  }
  close(fd);
}

static void *serve(void *arg) {
  server *s = arg;
  while (s->next < s->n_steps) {
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) break;
    s->connections++;
    serve_connection(s, fd);
  }
  return NULL;
}

static void server_start(server *s, const step *script, int n) {
  memset(s, 0, sizeof *s);
  memcpy(s->script, script, (size_t)n * sizeof *script);
  s->n_steps = n;
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK_EQ(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  CHECK_EQ(listen(s->listen_fd, 8), 0);
  socklen_t alen = sizeof a;
  getsockname(s->listen_fd, (struct sockaddr *)&a, &alen);
  s->port = ntohs(a.sin_port);
  CHECK_EQ(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s) {
  shutdown(s->listen_fd, SHUT_RDWR);
  pthread_join(s->thread, NULL);
  close(s->listen_fd);
}

static lp__s3_client *client_for(const server *s, int max_retries, const char *timeout_ms) {
  lp__s3_options o;
  lp__s3_options_init(&o);
  char endpoint[64], retries[16];
  snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", s->port);
  snprintf(retries, sizeof retries, "%d", max_retries);
  lp_error err;
  CHECK_OK(lp__s3_options_set(&o, "endpoint", endpoint, &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "allow_http", "true", &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "aws_access_key_id", "AK", &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "aws_secret_access_key", "SK", &err), &err);
  CHECK_OK(lp__s3_options_set(&o, "max_retries", retries, &err), &err);
  if (timeout_ms) CHECK_OK(lp__s3_options_set(&o, "request_timeout_ms", timeout_ms, &err), &err);
  o.retry_base_ms = 1;   /* keep the test fast; the doubling and the cap are the same code */
  lp__s3_client *c;
  CHECK_OK(lp__s3_client_create(&o, &c, &err), &err);
  lp__s3_options_reset(&o);
  return c;
}

static void test_get_retries_slowdown_and_drop(void) {
  server s;
  step script[] = {SLOW_DOWN_503, DROP, ERROR_500, OK_200};
  server_start(&s, script, 4);
  lp__s3_client *c = client_for(&s, 5, NULL);
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_OK(lp__s3_get(c, "bkt", "k", 0, -1, &got, &n, &err), &err);
  CHECK_EQ(n, 5);
  CHECK(memcmp(got, "hello", 5) == 0);
  free(got);
  CHECK_EQ(lp__s3_retries(c), 3);
  lp__http_pool_stats st;
  CHECK_OK(lp__s3_pool_stats(c, "bkt", &st, &err), &err);
  CHECK_EQ(st.requests, 4);
  CHECK_GE(st.pool.destroyed, 3);   /* each failed attempt's connection was released as broken */
  CHECK_EQ(st.pool.in_use, 0);
  lp__s3_client_destroy(c);
  server_stop(&s);
}

static void test_retries_run_out(void) {
  server s;
  step script[] = {SLOW_DOWN_503, SLOW_DOWN_503};
  server_start(&s, script, 2);
  lp__s3_client *c = client_for(&s, 1, NULL);
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_EQ(lp__s3_get(c, "bkt", "k", 0, -1, &got, &n, &err), LP_EIO);
  CHECK_CONTAINS(err.message, "HTTP 503 SlowDown: Please reduce your request rate.");
  CHECK_EQ(lp__s3_retries(c), 1);
  lp__s3_client_destroy(c);
  server_stop(&s);
}

/* A conditional PUT (a commit) is not retried after a 500, which may have come after the write; a 503 is
 * retried, since S3 sends it before acting. */
static void test_conditional_put_retries_only_503(void) {
  server s;
  step script[] = {ERROR_500, SLOW_DOWN_503, OK_200};
  server_start(&s, script, 3);
  lp__s3_client *c = client_for(&s, 5, NULL);
  lp_error err;
  CHECK_EQ(lp__s3_put(c, "bkt", "_versions/1.manifest", "m", 1, LP__S3_IF_NONE_MATCH, &err), LP_EIO);
  CHECK_CONTAINS(err.message, "HTTP 500 InternalError");
  CHECK_EQ(lp__s3_retries(c), 0);
  CHECK_OK(lp__s3_put(c, "bkt", "_versions/1.manifest", "m", 1, LP__S3_IF_NONE_MATCH, &err), &err);
  CHECK_EQ(lp__s3_retries(c), 1);
  lp__s3_client_destroy(c);
  server_stop(&s);
}

/* The server closes a kept-alive connection while it idles in the pool: validation on acquire notices,
 * destroys it, and the request goes out on a new one. */
static void test_idle_connection_closed_by_server(void) {
  server s;
  step script[] = {OK_200_THEN_CLOSE, OK_200, OK_200};
  server_start(&s, script, 3);
  lp__s3_client *c = client_for(&s, 0, NULL);   /* no retries: validation alone must cope */
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_OK(lp__s3_get(c, "bkt", "k", 0, -1, &got, &n, &err), &err);
  free(got);
  usleep(600 * 1000);   /* past the pool's validation bypass of 500 ms; the close has arrived */
  CHECK_OK(lp__s3_get(c, "bkt", "k", 0, -1, &got, &n, &err), &err);
  free(got);
  CHECK_OK(lp__s3_get(c, "bkt", "k", 0, -1, &got, &n, &err), &err);
  free(got);
  lp__http_pool_stats st;
  CHECK_OK(lp__s3_pool_stats(c, "bkt", &st, &err), &err);
  CHECK_EQ(st.pool.validation_failures, 1);
  CHECK_EQ(st.pool.connections_created, 2);
  CHECK_EQ(st.tcp_connects, 2);
  CHECK_EQ(s.connections, 2);
  lp__s3_client_destroy(c);
  server_stop(&s);
}

static void test_timeout(void) {
  server s;
  step script[] = {HANG, HANG};
  server_start(&s, script, 2);
  lp__s3_client *c = client_for(&s, 1, "300");
  uint8_t *got;
  size_t n;
  lp_error err;
  CHECK_EQ(lp__s3_get(c, "bkt", "k", 0, -1, &got, &n, &err), LP_ETIMEOUT);
  CHECK_CONTAINS(err.message, "s3 GET bkt/k: Timeout");
  CHECK_EQ(lp__s3_retries(c), 1);
  lp__s3_client_destroy(c);
  server_stop(&s);
}

int main(void) {
  RUN_TEST(test_get_retries_slowdown_and_drop);
  RUN_TEST(test_retries_run_out);
  RUN_TEST(test_conditional_put_retries_only_503);
  RUN_TEST(test_idle_connection_closed_by_server);
  RUN_TEST(test_timeout);
  return 0;
}
