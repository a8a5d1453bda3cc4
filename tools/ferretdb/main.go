// Command parley-ferretdb runs FerretDB, a MongoDB wire-protocol database, with its SQLite backend
// bound to a loopback address. Parley's local stack and tests use it as their real, on-disk,
// MongoDB-compatible server: data survives a restart of the process.
//
//	parley-ferretdb -listen 127.0.0.1:27017 -data .parley/ferretdb
//
// It prints "FERRETDB_READY <mongodb uri>" once it accepts connections and stops on SIGTERM/SIGINT.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	data := flag.String("data", "ferretdb-data", "folder for the SQLite database files")
	flag.Parse()

	dir, err := filepath.Abs(*data)
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot use data folder %s: %v\n", *data, err)
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot start FerretDB: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- db.Run(ctx) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, dialErr := net.DialTimeout("tcp", *listen, 200*time.Millisecond)
		if dialErr == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "FerretDB did not listen on %s within 30 s: %v\n", *listen, dialErr)
			os.Exit(1)
		}
		select {
		case runErr := <-done:
			fmt.Fprintf(os.Stderr, "FerretDB stopped during start-up: %v\n", runErr)
			os.Exit(1)
		case <-time.After(50 * time.Millisecond):
		}
	}
	fmt.Printf("FERRETDB_READY %s\n", db.MongoDBURI())

	if runErr := <-done; runErr != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "FerretDB stopped: %v\n", runErr)
		os.Exit(1)
	}
}
