#!/usr/bin/python3
"""An HTTP server that drops connections mid-body, for the remote-file tests.

Serves FILE's bytes at any path with Range support (206, ETag), but the first
--drop N responses (default: all) announce their full Content-Length and close the
connection after half of the body. Prints the port it listens on (127.0.0.1, a
free port), then serves until killed. Python standard library only."""
import argparse
import http.server
import re
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--drop", type=int, default=-1, help="responses to drop (-1: all)")
    args = ap.parse_args()
    data = open(args.file, "rb").read()
    state = {"dropped": 0}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            begin, end = 0, len(data) - 1
            m = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            status = 200
            if m:
                status = 206
                begin = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), len(data) - 1)
            body = data[begin:end + 1]
            with lock:
                drop = args.drop < 0 or state["dropped"] < args.drop
                if drop:
                    state["dropped"] += 1
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"fixed"')
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (begin, end, len(data)))
            self.end_headers()
            if drop:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
