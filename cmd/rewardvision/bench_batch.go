package main

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"rewardvision/api"
	"rewardvision/serve"
)

// startUnbatched serves srv's registry without dynamic batching on another
// loopback port, for bench serve's batching comparison; stop shuts it
// down and waits.
func startUnbatched(ctx context.Context, srv *serve.Server, hc *http.Client) (*api.Client, func(), error) {
	s1, err := srv.Unbatched()
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s1.Serve(ctx, ln) }()
	client, err := api.NewClient("http://"+ln.Addr().String(), hc)
	if err != nil {
		cancel()
		<-done
		return nil, nil, err
	}
	return client, func() { cancel(); <-done }, nil
}
