// Command dbauthtoken prints an RDS IAM database authentication token, as
// aws rds generate-db-auth-token does with the same flags, made with the unmodified AWS SDK
// (feature/rds/auth) and the usual AWS settings from the environment: the demo's stand-in
// for the AWS CLI, which the local machine does not have.
//
//	go run ./hack/dbauthtoken --hostname H --port P --region R --username U
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

func main() {
	host := flag.String("hostname", "", "the database's endpoint address")
	port := flag.Int("port", 5432, "the database's port")
	region := flag.String("region", "", "the database's region (default: the environment's)")
	user := flag.String("username", "", "the database user to log in as")
	flag.Parse()
	if *host == "" || *user == "" {
		fmt.Fprintln(os.Stderr, "dbauthtoken: --hostname and --username are required")
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbauthtoken:", err)
		os.Exit(1)
	}
	if *region == "" {
		*region = cfg.Region
	}
	token, err := auth.BuildAuthToken(ctx, net.JoinHostPort(*host, strconv.Itoa(*port)), *region, *user, cfg.Credentials)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbauthtoken:", err)
		os.Exit(1)
	}
	fmt.Println(token)
}
