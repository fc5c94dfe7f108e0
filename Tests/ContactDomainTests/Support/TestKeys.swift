/// Fixed key pairs generated once with openssl for these tests only; never used anywhere else.
enum TestKeys {
    static let rsaPrivatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDBp2q/2f9RsoeX
        EtuQ8kvXHdEbiSrCRAA4GgUe83IJLw4A9nQAWMnsT98N+SqK9IjzoU97wjgWNnwP
        AzOawf9VshIGw/zsxhBCiJzKZKyYpXslW/GVtbvKlUzYwEAamDTewJ3VCVLcZFxc
        RrAaV4/Cc01QXHV+8vy3n5zBS1+pDrZB9d5AcYsEwa6vq8iUi4qs06jP7e21JiUb
        GauhYdEQyxg24mTS9+R+imGy4ARSEf4bwKovnjTkaolHkyXfVo4ljJe7Vh5kjF9a
        P5fcR3bPwwuvMquOy8+oxXef2AE7B3uF7f2M4m395H4EFt8xrg3HROTv4/FiXpNR
        e+mHgi7PAgMBAAECggEAAuvAB/HFUJmlQumVZzvIWg/IkiZA/1ogOLhnwF5Cp5HO
        n8QX3tN4BDj2L9NEyYDDug0CUmcNCoS63U0aj6iCbev4KqL1IysfnqlJ2CGpmsnQ
        MDGRVMU/dmBHHvPTY7NNBNkZ6FcyKUHYRMoKKPOOJwwvK9mhKg+HMUvWhPHamQWp
        iHjwPC+jk32adwKppsLOtvKg2G2CNbOBvxRJwSofAFVHhkFh8wiEz5sBECJ8NEpZ
        4y2V+7/+8lM/inrO6QS6yrpK/g9tEp/UdSaEJ4Ei8YGeLh2klEaKJ4x+y7TCKRpt
        Rie5WvmlWdYJw5IxaZF2FrL/9V9qTX6USIKOcQM8yQKBgQD20HI6q2JnEGme0409
        tKh1fHK4Lpv2MscvLCH/VneytcJXsCANUpL5VNUBI52ohBdgvwcj8+iW7wyxKEk4
        N2FiYi57NrXhkk3mOsu3XvQ0ww79GLv8lliYCZiwDa9CETHs/EXvM+MD7BFhjmNt
        gT7Z1Ck0XRrvlLvJm6/Ulpfu2QKBgQDI3HrHrW+KvDqMyZG+8u6+PFUUnRW4AVf7
        WYcwpI2e0hdr1N17QydznL4jiMWzySxsBPAgf07hmR6wLjgWXEzBNGPAfUQi6Q8w
        Ob7m1ERAMyVPyiz0I4oGhcGaU7s7xI0THQP9l4pmtSOgo89rBIFrlqFIG9E/uPK9
        g9sdeC9R5wKBgC+/3gmZtJzp4PU4SmAAvoKURAF8CvJTmpN2v1EN4nRxk5qxWVIa
        gpK4JclloY/Dll5CNthuzLW+o772Y0v78tw80G9IA2ITkvySrWzZcvduMU0n5t6U
        G6m2WZLd4uUuPHFz0PfZGvdcSXSNPpEl6wnrcNlPlfF53ebANwEy7UvpAoGBAJgP
        QewUgpLW+MRIfMvAAbmG1yop2Z1Zdw/TsSLEEGqhxhVeKuX76sv9Z3xjOLhonfaQ
        rnELr93eG3tpIhDbg0for3Oz4XdEVLk/niQFoj2v+pkzB2Ez3nQdonmA1gfjPqGv
        n6vFo4MpsnUUThxIZunaOPLsDDdffnS2c5UVvU0VAoGBAPVSx3BgR1yF8vuXFrNC
        eSAu7JRSNklmBZR+L8YAmRfhXXPaXRuPnNnofB2KhSl4clH3pCstbPuDNOae0TEP
        VT9QAQVBYMHFHiHjKlv3pO767OU16B78U3+8VFTLz2DGKewmpU00iEn9kG5GAVxM
        fqnEPQylrbaAKiL8R9WvC+0q
        -----END PRIVATE KEY-----
        """

    static let rsaPublicPEM = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwadqv9n/UbKHlxLbkPJL
        1x3RG4kqwkQAOBoFHvNyCS8OAPZ0AFjJ7E/fDfkqivSI86FPe8I4FjZ8DwMzmsH/
        VbISBsP87MYQQoicymSsmKV7JVvxlbW7ypVM2MBAGpg03sCd1QlS3GRcXEawGleP
        wnNNUFx1fvL8t5+cwUtfqQ62QfXeQHGLBMGur6vIlIuKrNOoz+3ttSYlGxmroWHR
        EMsYNuJk0vfkfophsuAEUhH+G8CqL5405GqJR5Ml31aOJYyXu1YeZIxfWj+X3Ed2
        z8MLrzKrjsvPqMV3n9gBOwd7he39jOJt/eR+BBbfMa4Nx0Tk7+PxYl6TUXvph4Iu
        zwIDAQAB
        -----END PUBLIC KEY-----
        """

    static let ecPrivatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQghTjoRfN0U1vvOd0Q
        HGOByuiU5mgP0ctaarqdJAaqI22hRANCAATbqEoobD4lLTfUOzWuhXdtO4/Ph0AL
        EcQ0H9GWiDWK8eoP13TI4ikbuMGTb8xdTY7niJLjVXVOlnvh06k8isfj
        -----END PRIVATE KEY-----
        """

    static let ecPublicPEM = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE26hKKGw+JS031Ds1roV3bTuPz4dA
        CxHENB/Rlog1ivHqD9d0yOIpG7jBk2/MXU2O54iS41V1TpZ74dOpPIrH4w==
        -----END PUBLIC KEY-----
        """

}
