/** A module that uses dcn4j: it reads the API only; backends arrive through ServiceLoader. */
module com.example.consumer {
    requires dcn4j;
}
